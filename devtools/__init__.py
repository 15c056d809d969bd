"""Development tools: the demo data (`load_demo`) and the local Flickr simulator.

Installed as an app only with DEBUG on (`make run`) and in the tests; nothing
in `optout` imports it.
"""
