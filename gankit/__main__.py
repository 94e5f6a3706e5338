from gankit.cli.main import main

raise SystemExit(main())
