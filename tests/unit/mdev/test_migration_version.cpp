#include "fake_sysfs.hpp"
#include "mdev/migration_version.hpp"
#include "mdev/validate.hpp"
#include "scripted_io.hpp"

#include <cerrno>
#include <gtest/gtest.h>

using namespace mdevmc;
using mdevmc::test::ScriptedAttrIo;

namespace {
const VersionLocation kAt{"sys/x/migration_version", false};
}

TEST(ReadVersion, StripsOneNewline) {
    ScriptedAttrIo io;
    io.onRead(kAt.path, "8086-193b-i915-GVTg_V5_4-5.2\n");
    const VersionRead r = readVersion(io, kAt, Deadline::never());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.version, "8086-193b-i915-GVTg_V5_4-5.2");
    io.onRead(kAt.path, "v1");
    EXPECT_EQ(readVersion(io, kAt, Deadline::never()).version, "v1");
}

TEST(ReadVersion, MissingFailedTimedOutInvalid) {
    ScriptedAttrIo io;
    EXPECT_EQ(readVersion(io, kAt, Deadline::never()).status, VersionRead::Status::Missing);
    io.onRead(kAt.path, "", ENODEV);
    const VersionRead f = readVersion(io, kAt, Deadline::never());
    EXPECT_EQ(f.status, VersionRead::Status::Failed);
    EXPECT_EQ(f.err, ENODEV);
    io.stallRead(kAt.path);
    EXPECT_EQ(readVersion(io, kAt, Deadline::never()).status, VersionRead::Status::TimedOut);
    io.onRead(kAt.path, "\n");
    EXPECT_EQ(readVersion(io, kAt, Deadline::never()).status, VersionRead::Status::Invalid);
    io.onRead(kAt.path, "two\nlines\n");
    const VersionRead inv = readVersion(io, kAt, Deadline::never());
    EXPECT_EQ(inv.status, VersionRead::Status::Invalid);
    EXPECT_NE(inv.detail.find("non-printable"), std::string::npos);
}

TEST(ProbeVersion, WritesStringPlusNewlineOnce) {
    ScriptedAttrIo io;
    io.onWrite(kAt.path, 0);
    const ProbeResult p = probeVersion(io, kAt, "v1", Deadline::never());
    EXPECT_TRUE(p.accepted());
    ASSERT_EQ(io.log.size(), 1U);
    EXPECT_EQ(io.log[0].path, kAt.path);
    EXPECT_EQ(io.log[0].data, "v1\n");
    EXPECT_EQ(p.offered, 3U);
}

TEST(ProbeVersion, AnyErrnoIsARejection) {
    for (int e : {EINVAL, ENODEV, EPERM, EIO, EBUSY, ERANGE, ENOTSUP}) {
        ScriptedAttrIo io;
        io.onWrite(kAt.path, e);
        const ProbeResult p = probeVersion(io, kAt, "v1", Deadline::never());
        EXPECT_EQ(p.status, ProbeResult::Status::Rejected) << e;
        EXPECT_EQ(p.err, e);
        EXPECT_FALSE(p.accepted());
    }
}

TEST(ProbeVersion, ShortWriteIsIncompatible) {
    ScriptedAttrIo io;
    io.shortWrite(kAt.path, 2);
    const ProbeResult p = probeVersion(io, kAt, "v12", Deadline::never());
    EXPECT_EQ(p.status, ProbeResult::Status::ShortWrite);
    EXPECT_EQ(p.written, 2U);
    EXPECT_EQ(p.offered, 4U);
    io.shortWrite(kAt.path, 0);
    EXPECT_EQ(probeVersion(io, kAt, "v12", Deadline::never()).status,
              ProbeResult::Status::ShortWrite);
}

TEST(ProbeVersion, StallAndMissing) {
    ScriptedAttrIo io;
    io.stallWrite(kAt.path);
    EXPECT_EQ(probeVersion(io, kAt, "v1", Deadline::never()).status, ProbeResult::Status::TimedOut);
    ScriptedAttrIo none;
    EXPECT_EQ(probeVersion(none, kAt, "v1", Deadline::never()).status,
              ProbeResult::Status::Missing);
}

// A write that could not be made (a failed fork) is no answer of the
// driver: never reported as a rejection.
TEST(ProbeVersion, WriteNotMadeIsNoRejection) {
    ScriptedAttrIo io;
    io.cannotWrite(kAt.path, EAGAIN);
    const ProbeResult p = probeVersion(io, kAt, "1.0", Deadline::never());
    EXPECT_EQ(p.status, ProbeResult::Status::NotMade);
    EXPECT_EQ(p.err, EAGAIN);
    EXPECT_FALSE(p.accepted());
}

TEST(ProbeVersion, InvalidVersionIsNeverWritten) {
    ScriptedAttrIo io;
    io.onWrite(kAt.path, 0);
    for (const std::string& bad :
         {std::string(), std::string("a\nb"), std::string(kMaxVersionLength + 1, 'x'),
          std::string("bin\x01")}) {
        const ProbeResult p = probeVersion(io, kAt, bad, Deadline::never());
        EXPECT_EQ(p.status, ProbeResult::Status::Invalid);
        EXPECT_FALSE(p.detail.empty());
    }
    EXPECT_TRUE(io.log.empty());
    // The longest valid version plus its newline fits one sysfs page.
    const ProbeResult max =
        probeVersion(io, kAt, std::string(kMaxVersionLength, 'x'), Deadline::never());
    EXPECT_TRUE(max.accepted());
    EXPECT_EQ(io.log.at(0).data.size(), 4096U);
}

TEST(VersionLocation, PrefersThePerDeviceAttribute) {
    mdevmc::test::TempDir dir;
    mdevmc::test::FakeSysfs sys(dir.path());
    sys.addType("0000:00:02.0", "t1", "type-version");
    sys.addDevice("c2177883-f1bb-47f0-914d-32a22e3a8804", "0000:00:02.0", "t1");
    sys.addDevice("0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a", "0000:00:02.0", "t1", "dev-version");
    auto root = Root::open(dir.path().string());
    ASSERT_TRUE(root);
    DirectAttrIo io(*root);
    MdevHost host(*root, io);
    auto plain = host.device("c2177883-f1bb-47f0-914d-32a22e3a8804", Deadline::never());
    auto own = host.device("0a9d3b9e-42a1-4b8f-9c4e-8d6c1f0e2b3a", Deadline::never());
    ASSERT_TRUE(plain && own);
    const VersionLocation lp = versionLocation(*plain);
    const VersionLocation lo = versionLocation(*own);
    EXPECT_FALSE(lp.per_device);
    EXPECT_TRUE(lo.per_device);
    EXPECT_EQ(readVersion(io, lp, Deadline::never()).version, "type-version");
    EXPECT_EQ(readVersion(io, lo, Deadline::never()).version, "dev-version");
    EXPECT_EQ(typeVersionLocation("0000:00:02.0", "t1").path,
              "sys/class/mdev_bus/0000:00:02.0/mdev_supported_types/t1/migration_version");
}
