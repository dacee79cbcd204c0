"""PipeReader: a worker's messages, read in bulk, exactly as they were sent."""

from __future__ import annotations

import multiprocessing
import os
import threading

import pytest

from tui.pipe_reader import PipeReader
from tui.worker import Outcome, PageProgress, send_message


def test_one_read_returns_every_message_waiting_in_order():
    ours, theirs = multiprocessing.Pipe()
    sent = [Outcome(n, True, {"pages": n}, seconds=0.5) for n in range(10)]
    sent.append(PageProgress(11, 2, 9, 1.5))
    for message in sent:
        send_message(theirs, message)
    assert PipeReader(ours.fileno()).read() == sent


def test_a_message_cut_in_two_waits_for_its_rest():
    read_end, write_end = os.pipe()
    ours, theirs = multiprocessing.Pipe()
    send_message(theirs, Outcome(1, True, {"title": "x" * 100}))
    send_message(theirs, Outcome(2, True, {}))
    frames = ours.recv_bytes(), ours.recv_bytes()
    wire = b"".join(len(frame).to_bytes(4, "big") + frame for frame in frames)
    reader = PipeReader(read_end)
    cut = len(wire) // 3  # inside the first message's bytes
    os.write(write_end, wire[:2])  # not even its whole length
    assert reader.read() == []
    os.write(write_end, wire[2:cut])
    assert reader.read() == []
    os.write(write_end, wire[cut:])
    assert reader.read() == [Outcome(1, True, {"title": "x" * 100}), Outcome(2, True, {})]
    os.close(write_end)
    os.close(read_end)


def test_a_message_larger_than_one_read_arrives_whole():
    """Bigger than the pipe: the sender waits while the reader takes it in pieces."""
    ours, theirs = multiprocessing.Pipe()
    big = Outcome(7, True, {"title": "y" * 300_000})
    sender = threading.Thread(target=send_message, args=(theirs, big))
    sender.start()
    reader = PipeReader(ours.fileno())
    received = []
    while not received:
        received = reader.read()
    sender.join()
    assert received == [big]


def test_end_of_pipe_is_eof_error_and_what_came_before_is_kept():
    ours, theirs = multiprocessing.Pipe()
    send_message(theirs, Outcome(3, False, {}, "crashed"))
    theirs.close()
    reader = PipeReader(ours.fileno())
    assert reader.read() == [Outcome(3, False, {}, "crashed")]
    with pytest.raises(EOFError):
        reader.read()


def test_connection_recv_reads_what_send_message_sent():
    """The frames are multiprocessing's own: either way of reading works."""
    ours, theirs = multiprocessing.Pipe()
    send_message(theirs, PageProgress(4, 1, 2, 0.25))
    assert ours.recv() == PageProgress(4, 1, 2, 0.25)
