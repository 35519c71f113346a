"""Small pure helpers shared by every feature: no I/O, no feature imports."""
