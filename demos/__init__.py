"""The teaching demos and the tutorial notebook.

In the repository they live here, in demos/, and run as scripts (`python demos/01_one_neuron.py`
or `make demo`). Installed, they are the package `chainrule.demos` (pyproject.toml maps this
folder into the wheel), and `chainrule demo` lists and runs them. Nothing imports this package
for its code: it only marks the folder as a package, so that importlib.resources can find it.
"""
