"""``emberterm cli ...``: remote control of the worker, speaking the same protocol as a GUI."""
