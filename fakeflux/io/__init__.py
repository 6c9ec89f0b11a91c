"""The IO layer: Unix sockets and the event loop that serve the broker core,
and the :class:`Instance` that runs them in a thread or a child process."""
