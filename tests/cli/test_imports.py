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


#: packages the common training path must not load: each costs 0.3–2 s of start-up
#: (torchvision and torch-fidelity bring torch's compiler stack) and only serves options
#: a default run does not use (image-to-image encoders, DiffAugment/ADA, metrics, serve,
#: sweeps, ONNX export)
HEAVY = ("torchvision", "kornia", "torch_fidelity", "scipy", "optuna", "flask", "onnx",
         "wandb", "selenium")


def heavy_loaded(loaded: set[str], names=HEAVY) -> list[str]:
    return sorted(name for name in names if name in loaded)


def test_importing_the_training_path_loads_no_heavy_package():
    loaded = modules_after("import gankit.cli.main, gankit.cli.train, gankit.training, "
                           "gankit.training.run, gankit.training.loop")
    assert "gankit.training.loop" in loaded
    assert heavy_loaded(loaded, HEAVY + ("matplotlib", "tensorboard")) == []


def test_a_default_training_run_loads_no_heavy_package(tmp_path):
    # pictures on (curves.png needs matplotlib), TensorBoard off (it needs tensorboard)
    out = tmp_path / "run"
    loaded = modules_after("from gankit.cli.main import main\n"
                           f"assert main(['train', '--out', {str(out)!r}, '--steps', '2', "
                           "'--no-progress', '--device', 'cpu', '--set', 'data.size=96', "
                           "'--set', 'model.g_width=8', '--set', 'model.d_width=8', "
                           "'--set', 'train.batch_size=16', '--set', 'train.grid_size=8', "
                           "'--set', 'train.tensorboard=false']) == 0")
    assert (out / "samples" / "step-0000002.png").is_file()
    assert (out / "real_vs_fake.png").is_file()
    assert heavy_loaded(loaded) == []
