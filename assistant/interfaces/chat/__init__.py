"""The Gradio chat UI: layout and event handlers (`app`), HTML rendering with every text escaped (`render`), and
the login that covers every route (`auth`). May import the service, the core and the other interfaces' helpers."""
