"""The demos run as a learner runs them, and write real pictures."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_one_neuron_demo_prints_the_lecture_numbers_and_writes_pictures(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "demos" / "01_one_neuron.py"), str(tmp_path)],
        capture_output=True, text=True, check=True,
    )
    out = result.stdout
    assert "o = tanh(n) = 0.7071" in out
    assert "do/dx1 = -1.5000" in out and "do/dw1 =  1.0000" in out
    assert "do/dx2 =  0.5000" in out and "do/dw2 =  0.0000" in out
    assert (tmp_path / "01_one_neuron.svg").stat().st_size > 1000
    assert (tmp_path / "01_one_neuron.png").read_bytes()[:4] == b"\x89PNG"
