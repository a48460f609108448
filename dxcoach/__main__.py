from dxcoach.cli import main

raise SystemExit(main())
