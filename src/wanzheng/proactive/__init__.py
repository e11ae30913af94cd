"""proactive."""
