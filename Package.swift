// swift-tools-version:6.0
import PackageDescription

// Release builds skip Swift's dynamic exclusivity checks in the server's own modules:
// they cost ~14k of the ~62k instructions of a `return 200` request (swift_beginAccess
// on every class property and global touched on the request path).
let fast: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

// The server's link. Only the functions Lua's FFI calls (mg_*, ngx_*) are exported:
// `-static-stdlib` adds --export-dynamic, and a dynamic symbol table of every Swift
// symbol kept ~800 KB of it resident in each worker. Release builds link with lld in
// the order of Sources/moongate/link-order.txt (bench/tools/link-order writes it from
// callgrind profiles): the functions a worker runs sit together, so fault-around maps
// far fewer code pages (worker RSS 14.0 -> 9.5 MB on the hello conf with the static
// Swift runtime the Makefile builds with). Sources/moongate/link-order.ld, written by
// the same tool, adds the code a worker runs that no symbol names (closure context
// destructors, thunks) at the start of .text, just before it; the link map it is found
// in is written to .build/moongate-release.map.
// Sources/moongate/rodata.ld keeps .rodata read-only: some of Swift's metadata comes in
// writable sections named .rodata, and lld then made the whole output section writable
// and put it in the data segment. A writable private mapping that has been written has
// its page table copied at fork, so each worker was born with every .rodata page the
// master had read (~750 KB); read-only, a worker maps only what it reads itself. The
// writable ones go in .rodata.rw, after .data.
// `-L .build/static-libs` (the Makefile links libstdc++.a there): the Swift runtime's
// libstdc++ goes in statically, ~40 functions in the worker's ordered code instead of
// the ~220 KB of libstdc++.so's pages a worker kept resident.
let root = String(#filePath.dropLast("Package.swift".count))
let serverLink: [LinkerSetting] = [
    .unsafeFlags(["-Xlinker", "--dynamic-list=\(root)Sources/moongate/exports.list", "-Xlinker", "--no-export-dynamic"]),
    .unsafeFlags(
        [
            "-use-ld=lld", "-Xlinker", "--symbol-ordering-file=\(root)Sources/moongate/link-order.txt",
            "-Xlinker", "--no-warn-symbol-ordering",
            "-Xlinker", "-T", "-Xlinker", "\(root)Sources/moongate/link-order.ld",
            "-Xlinker", "-T", "-Xlinker", "\(root)Sources/moongate/rodata.ld",
            "-L\(root).build/static-libs",
            "-Xlinker", "-Map=\(root).build/moongate-release.map",
        ], .when(configuration: .release)),
]

let package = Package(
    name: "moongate",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "moongate", targets: ["moongate"]),
        .executable(name: "mgprove", targets: ["mgprove"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        .systemLibrary(
            name: "CLuaJIT",
            pkgConfig: "luajit",
            providers: [.apt(["libluajit-5.1-dev"])]
        ),
        .systemLibrary(
            name: "CPCRE2",
            pkgConfig: "libpcre2-8",
            providers: [.apt(["libpcre2-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "CMoongate",
            linkerSettings: [.linkedLibrary("crypto"), .linkedLibrary("ssl")]
        ),
        .target(name: "MoongateCore", dependencies: ["CMoongate", "CPCRE2"], swiftSettings: fast),
        .target(name: "MoongateConfig", dependencies: ["MoongateCore"]),
        .target(name: "MoongateShm", dependencies: ["MoongateCore", "CMoongate"], swiftSettings: fast),
        .target(
            name: "MoongateHTTP",
            dependencies: [
                "MoongateCore", "MoongateConfig", "CMoongate", "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: fast
        ),
        .target(
            name: "MoongateLua",
            dependencies: [
                "CLuaJIT", "CPCRE2", "CMoongate", "MoongateCore", "MoongateConfig",
                "MoongateShm", "MoongateHTTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ],
            swiftSettings: fast
        ),
        .target(
            name: "MoongateProcess",
            dependencies: [
                "CMoongate", "MoongateCore", "MoongateConfig", "MoongateHTTP", "MoongateLua", "MoongateShm",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: fast
        ),
        .executableTarget(
            name: "moongate",
            dependencies: ["CMoongate", "MoongateProcess", "MoongateCore", "MoongateConfig", "MoongateLua"],
            exclude: ["exports.list", "link-order.txt", "link-order.ld", "rodata.ld"],
            linkerSettings: serverLink
        ),
        .target(name: "MoongateSpec", dependencies: []),
        .executableTarget(name: "mgprove", dependencies: ["MoongateSpec"]),
        .testTarget(name: "MoongateConfigTests", dependencies: ["MoongateConfig"]),
        .testTarget(name: "MoongateShmTests", dependencies: ["MoongateShm"]),
        .testTarget(
            name: "MoongateHTTPTests",
            dependencies: [
                "MoongateHTTP", "CZlib", "CMoongate",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(name: "MoongateSpecTests", dependencies: ["MoongateSpec"]),
        .testTarget(
            name: "MoongateLuaTests",
            dependencies: ["MoongateLua", "CLuaJIT", "MoongateCore", "MoongateHTTP"],
            linkerSettings: [.unsafeFlags(["-Xlinker", "--export-dynamic"])]
        ),
    ],
    swiftLanguageModes: [.v5]
)
