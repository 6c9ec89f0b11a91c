from fakeflux.cli import main

raise SystemExit(main())
