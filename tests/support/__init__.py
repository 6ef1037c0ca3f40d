"""Helpers shared by the test modules; fixtures stay in the conftest.py files and import from here.

* http      - the one plain HTTP client (`request`/`post`/`get`, `Client`) and its `Reply`
* sse       - the one SSE parser
* upstream  - finding the requests the fake Gemini API received
* gateway   - a real gateway on a loopback port (`GatewayThread`, `free_port`, `chat`)
* fixtures  - recorded captures in ../shared/fixtures (skipped with a reason when absent)
* processes - running client CLIs under a timeout with a throwaway environment
* payloads  - request bodies and JSON shapes (`user`, `WEATHER_TOOL`, `key_paths`)
"""
