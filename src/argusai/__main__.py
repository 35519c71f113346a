from argusai.cli import main

main()
