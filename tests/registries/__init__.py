"""Real package registries for the tests (Verdaccio, pypiserver, devpi, a small PEP 691 index)
on 127.0.0.1, and a proxy to put latency and outages between them and the code under test."""
