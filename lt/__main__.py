from lt.cli import main

main()
