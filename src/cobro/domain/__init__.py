"""The domain core: entities, value objects and pure decisions. Standard library only."""
