import MoongateProcess
#if canImport(Glibc)
import Glibc
#endif

exit(Startup.main(Array(CommandLine.arguments.dropFirst())))
