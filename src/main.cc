#include "cli/cli.h"

int main(int argc, char** argv) { return walnut::RunCli(argc, argv); }
