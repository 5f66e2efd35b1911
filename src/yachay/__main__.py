from yachay.cli import main

main()
