"""What each command imports: help and presets never load torch; sampling never loads
the trainer."""

import subprocess
import sys


def modules_after(code: str) -> set[str]:
    script = f"import sys\n{code}\nprint('\\n'.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    return set(done.stdout.split())


def test_help_and_presets_do_not_import_torch():
    loaded = modules_after("from gankit.cli.main import main\n"
                           "for argv in (['presets'], ['presets', 'dcgan']): main(argv)\n"
                           "try:\n    main(['--help'])\nexcept SystemExit:\n    pass")
    assert "gankit.cli.main" in loaded and "gankit.config" in loaded
    assert "torch" not in loaded


def test_sample_does_not_import_the_training_package(tiny_run, tmp_path):
    run = tiny_run("default")
    out = tmp_path / "s.png"
    loaded = modules_after("from gankit.cli.main import main\n"
                           f"assert main(['sample', {str(run)!r}, '--n', '4', '--out', "
                           f"{str(out)!r}, '--device', 'cpu']) == 0")
    assert out.is_file() and "gankit.runs.trained" in loaded
    assert not any(name.startswith("gankit.training") for name in loaded)
