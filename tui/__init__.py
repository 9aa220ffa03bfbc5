"""nnbench's terminal app and command line. Importing this package stays light: the
Textual app is imported only when it is started."""
