from trustflux.cli import main

main()
