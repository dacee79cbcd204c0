"""The app's screens: start, run, and the modal dialogs."""
