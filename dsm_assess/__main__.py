from dsm_assess.cli import main

main()
