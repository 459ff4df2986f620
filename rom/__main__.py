from rom.cli import main

main()
