"""``gankit evaluator train``: a domain classifier for any labelled dataset."""

from __future__ import annotations

from gankit.errors import GankitError


def add_parser(sub) -> None:
    p = sub.add_parser("evaluator", help="train or check a domain evaluator classifier")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    t = verbs.add_parser("train", help="train a classifier on a labelled dataset")
    t.add_argument("--data", required=True, help="dataset name or path (with labels)")
    t.add_argument("--out", required=True, help="FILE.safetensors to write")
    t.add_argument("--labels", default="auto", choices=["auto", "class", "multi"],
                   help="single-label (softmax) or multi-label (sigmoid); auto: as the data")
    t.add_argument("--arch", default=None, help="small-cnn (default), resnet18, resnet18-small")
    t.add_argument("--resolution", type=int, default=64)
    t.add_argument("--channels", type=int, default=3)
    t.add_argument("--size", type=int, default=0, help="items of a procedural dataset")
    t.add_argument("--split", default="train")
    t.add_argument("--epochs", type=int)
    t.add_argument("--batch-size", type=int)
    t.add_argument("--lr", type=float)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--skip-bad-files", action="store_true",
                   help="skip unreadable or non-image files (one summary warning)")
    t.add_argument("--no-robust", dest="robust", action="store_false",
                   help="train on clean images only (default: also on mildly blurred, noisy "
                   "and tone-shifted copies, so imperfect fakes are judged by content)")
    t.add_argument("--device", default="auto")
    t.set_defaults(handler=train)
    c = verbs.add_parser("test", help="held-out accuracy of an evaluator on a dataset")
    c.add_argument("evaluator", metavar="FILE")
    c.add_argument("--data", required=True)
    c.add_argument("--split", default="test")
    c.add_argument("--size", type=int, default=0)
    c.add_argument("--device", default="auto")
    c.set_defaults(handler=test)
    p.set_defaults(handler=lambda args: p.print_help() or 2)


def _dataset(name: str, labels: str, resolution: int, channels: int, size: int, split: str,
             seed: int = 0, skip_bad_files: bool = False):
    from gankit.data import DataRequest, load_dataset
    from gankit.data.badfiles import SKIP_OPTION

    dataset = load_dataset(DataRequest(name=name, resolution=resolution, channels=channels,
                                       labels=labels, split=split, size=size, seed=seed,
                                       options={SKIP_OPTION: skip_bad_files}))
    if dataset.labels is None:
        raise GankitError(f"{name} has no labels; an evaluator needs labelled data "
                          "(class sub-folders, an iCLEVR train.json, ...)")
    return dataset


def train(args) -> int:
    from gankit.device import pick_device
    from gankit.metrics.evaluator import train_evaluator

    dataset = _dataset(args.data, args.labels, args.resolution, args.channels, args.size,
                       args.split, args.seed, args.skip_bad_files)
    options = {k: v for k, v in {"arch": args.arch, "epochs": args.epochs,
                                 "batch_size": args.batch_size, "lr": args.lr}.items()
               if v is not None}
    evaluator, report = train_evaluator(dataset, seed=args.seed, robust=args.robust,
                                        device=pick_device(args.device), **options)
    path = evaluator.save(args.out)
    kind = "multi-label" if evaluator.multi_label else "single-label"
    print(f"gankit: {kind} {evaluator.arch} on {len(dataset)} images, "
          f"{len(evaluator.class_names)} classes, {report['seconds']:.0f} s")
    print(f"gankit: held-out accuracy {report['held_out_accuracy']:.2%} "
          f"({report['n_val']} images)")
    print(f"gankit: wrote {path}")
    return 0


def test(args) -> int:
    from gankit.device import pick_device
    from gankit.metrics.evaluator import Evaluator

    evaluator = Evaluator.load(args.evaluator, pick_device(args.device))
    labels = "multi" if evaluator.multi_label else "class"
    dataset = _dataset(args.data, labels, evaluator.resolution, evaluator.channels, args.size,
                       args.split)
    accuracy = evaluator.accuracy(dataset.images, dataset.labels)
    print(f"gankit: accuracy {accuracy:.2%} on {len(dataset)} {args.split} images of {args.data}")
    return 0
