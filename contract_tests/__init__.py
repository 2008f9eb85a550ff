"""Contract tests for SMS Partner's message-status API, runnable against any target."""
