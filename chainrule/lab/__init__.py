"""The live lab, `chainrule serve`: a web page over the real engine, for a classroom.

At GET /network, a network trains while you watch (TF Playground's controls, with the
gradients drawn and each neuron open to its chain-rule steps), one session per browser tab.

Type a formula, and the page shows its graph as `dot` lays it out, every node's data and grad;
drag a number, and every gradient moves; step through the backward pass; list the paths from an
input to the output, whose products sum to its gradient. The server is the only source of
numbers (it runs `autograd.explanation.explain`, as `chainrule explain` does); the page shows
them and never computes one.

    app.py      the wiring: `create_app(host, port)`, a Starlette app behind the guard
    api.py      the HTTP surface: routes, what a request must hold, every error as JSON
    guard.py    what every request goes through: Host / Origin (403), the body limit (413),
                the security headers, and the worker threads with their time bound (503)
    layouts.py  layout once, numbers many times: the cache of SVG laid out by dot
    network.py  the network lab's session: its config, data, model, frames, a weight set by
                hand, a neuron opened for a training point
    training.py each session's training thread, the frames handed to the event loop (newest
                wins), the shared CPU slot, the session cap and the idle limits
    ws.py       the network lab's WebSocket, /ws/network: every message checked
    static/     the pages: lab.html, lab.js (an ES module, one state object), lab.css; and
                network.html, network.js, network.css; both load autograd's steps.js and
                steps.css, the step-through of the static page

Starlette and uvicorn are an optional extra (`pip install 'chainrule[serve]'`), imported only
inside the functions that need them: importing this package needs neither.
"""
