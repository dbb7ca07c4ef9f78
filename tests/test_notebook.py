"""demos/tutorial.ipynb, the README's five-minute walk, runs top to bottom in a Jupyter kernel of
this venv's python (nbclient), and shows the numbers and pictures it promises."""

import sys
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "demos" / "tutorial.ipynb"


def text_of(cell) -> str:
    return "".join(out.get("text", "") for out in cell.outputs if out.output_type == "stream")


def kinds_of(cell) -> set[str]:
    return {kind for out in cell.outputs for kind in out.get("data", {})}


def test_notebook_is_valid_and_stored_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert len(code) >= 8
    # no stale numbers in the file: the outputs come from running it
    assert all(not cell.outputs and cell.execution_count is None for cell in code)
    assert nb.metadata.kernelspec.name == "python3"


def test_notebook_runs_in_this_venvs_kernel_and_shows_the_walk(tmp_path):
    # the "python3" kernel is ipykernel's, and jupyter_client starts it with this interpreter
    spec = KernelSpecManager().get_kernel_spec("python3")
    assert spec.argv[1:3] == ["-m", "ipykernel_launcher"]
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import sys\nprint(sys.prefix)"))
    client = NotebookClient(nb, kernel_name="python3", timeout=300,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails

    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert text_of(code[-1]).strip() == sys.prefix  # the kernel ran in this venv
    everything = "".join(text_of(cell) for cell in code)
    # the lecture neuron's numbers
    assert "data=0.7071067811865477" in everything
    for line in ("x1.grad = ∂o/∂x1 = -1.5000", "w1.grad = ∂o/∂w1 = 1.0000",
                 "x2.grad = ∂o/∂x2 = 0.5000", "w2.grad = ∂o/∂w2 = 0.0000"):
        assert line in everything
    assert "x1.grad += " in everything  # backward_steps' sentences
    # micrograd's moons, learned
    assert "337 parameters" in everything
    assert "training accuracy 100%" in everything
    # pictures: the graph twice and the network as SVG, the decision boundary as PNG
    svgs = [cell for cell in code if "image/svg+xml" in kinds_of(cell)]
    assert len(svgs) == 3
    for cell in svgs:
        svg = next(o for o in cell.outputs if "image/svg+xml" in o.get("data", {}))
        assert "<svg" in svg["data"]["image/svg+xml"]
    assert any("image/png" in kinds_of(cell) for cell in code)
    assert (tmp_path / "out" / "tutorial_moons.png").read_bytes()[:4] == b"\x89PNG"


# --- the notebook display's own bound (issue 11, item 5) --------------------------------------


def test_notebook_display_stops_a_slow_layout_and_shows_text_with_the_reason():
    """A notebook waits for its display hook: mimebundle gives dot JUPYTER_DOT_TIMEOUT (much
    less than a saved picture's DOT_TIMEOUT), then falls back to text saying why."""
    import graphviz

    from autograd.draw import DOT_TIMEOUT
    from autograd.jupyter import JUPYTER_DOT_TIMEOUT, mimebundle

    def pathological(thing: object) -> graphviz.Digraph:
        # a chain with labelled edges and one node feeding every link: minutes of layout
        g = graphviz.Digraph()
        g.attr(rankdir="LR")
        for k in range(150):
            g.edge(f"v{k}", f"v{k + 1}", label="×2")
            g.edge("x", f"v{k + 1}", label="×2")
        return g

    class Thing:
        def __repr__(self) -> str:
            return "Thing()"

    assert JUPYTER_DOT_TIMEOUT * 2 <= DOT_TIMEOUT
    bundle = mimebundle(Thing(), draw=pathological)
    assert list(bundle) == ["text/plain"]
    text = bundle["text/plain"]
    assert text.startswith("Thing()\n(no picture: ")
    assert f"within {JUPYTER_DOT_TIMEOUT:g} s" in text and "render(" in text


def test_notebook_display_of_odd_labels_is_a_picture():
    from autograd import Value

    a = Value(2.0, '<<table href="javascript:alert(1)"><tr><td>x</td></tr></table>>\x00\ud800')
    bundle = (a * a)._repr_mimebundle_()
    assert "image/svg+xml" in bundle, bundle
    assert 'href="' not in bundle["image/svg+xml"]  # its href=&quot; is text
