"""The inspector: a page on its own port showing every request the emulator served become an
event, an invocation and an answer (log lines and REPORT included), replaying it, and showing
each function's execution environments; recorded cheaply, formatted only when asked."""
