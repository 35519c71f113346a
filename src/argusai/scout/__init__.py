"""Scout: a catalogue of beginner-friendly repositories and issues."""
