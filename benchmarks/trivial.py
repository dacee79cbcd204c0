"""A processor that does nothing, to measure the framework alone:
`docpool run DIR --processor trivial:noop` with benchmarks/ on PYTHONPATH."""


def noop(path):
    return {}
