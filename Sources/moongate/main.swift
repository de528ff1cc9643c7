import MoongateLua
import MoongateProcess
#if canImport(Glibc)
import Glibc
#endif

LuaModule.register()
exit(Startup.main(Array(CommandLine.arguments.dropFirst())))
