from fieldapp.cli.main import main

# Guarded: the route solver's child process (spawned, see ui/solver_process.py)
# imports the main module again and must not start a second app.
if __name__ == "__main__":
    raise SystemExit(main())
