"""The run machinery: discovery, configuration, cache, the linter loop, writing."""
