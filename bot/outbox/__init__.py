"""Scheduled and broadcast messages: jobs, notices, the sender and /broadcast."""
