import CMoongate
#if canImport(Glibc)
import Glibc
#endif

enum ProcessInfoBridge {
    static func cpuCount() -> Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}

func mg_cgroup_cpus_bridge() -> Int32 { mg_cgroup_cpus() }
