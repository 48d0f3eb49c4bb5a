"""Readers for everything the engine is sent, and writers for what it produces."""
