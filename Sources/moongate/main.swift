import CMoongate
import MoongateLua
import MoongateProcess
#if canImport(Glibc)
import Glibc
#endif

// Symbols of all libraries bound in the master, not lazily in every worker (process.c).
mg_bind_now(CommandLine.unsafeArgv)
LuaModule.register()
exit(Startup.main(Array(CommandLine.arguments.dropFirst())))
