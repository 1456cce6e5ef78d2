from inbox_worker.cli.main import main

main()
