"""Bad data reaches the user as one `gankit: error:` line naming the file, exit code 2."""

import pytest
from PIL import Image

from gankit.cli.main import main


def image(path, size=(8, 8)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (200, 30, 30)).save(path)


def empty_folder(root):
    root.mkdir()
    return root, "holds no images"


def corrupt_image(root):
    image(root / "cat" / "a.png")
    image(root / "dog" / "a.png")
    (root / "cat" / "b.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    return root, "b.jpg"


def truncated_image(root):
    image(root / "cat" / "a.png")
    image(root / "dog" / "a.png")
    path = root / "cat" / "big.jpg"
    Image.new("RGB", (64, 64), (10, 200, 30)).save(path, quality=95)
    path.write_bytes(path.read_bytes()[:200])
    return root, "big.jpg"


def non_image_file(root):
    image(root / "cat" / "a.png")
    image(root / "dog" / "a.png")
    (root / "cat" / "notes.txt").write_text("hello")
    return root, "notes.txt"


def flat_folder_with_labels(root):
    image(root / "a.png")
    image(root / "b.png")
    return root, "class"


@pytest.mark.parametrize("make", [empty_folder, corrupt_image, truncated_image, non_image_file,
                                  flat_folder_with_labels])
def test_bad_data_is_one_line_exit_2(make, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    root, culprit = make(tmp_path / "data")
    code = main(["train", "cdcgan", "--data", str(root), "--steps", "1", "--no-progress",
                 "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("gankit: error:")
    assert culprit in err[0]
