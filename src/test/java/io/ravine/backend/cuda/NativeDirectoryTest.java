package io.ravine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The private native directory: mountinfo parsing, the choice of candidate, the tmpdir swap, load-failure lines. */
class NativeDirectoryTest {
    private static final String MOUNTINFO = String.join("\n",
            "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard",
            "30 22 0:30 / /tmp rw,nosuid,nodev,noexec,relatime shared:5 - tmpfs tmpfs rw",
            "31 30 0:31 / /tmp/exec rw,relatime - tmpfs tmpfs rw",
            "32 22 0:32 / /tmpfoo rw,noexec - tmpfs tmpfs rw",
            "33 22 0:33 / /mnt/with\\040space rw,noexec master:7 - tmpfs tmpfs rw",
            "34 22 0:34 / /stacked rw,noexec - tmpfs tmpfs rw",
            "35 34 0:35 / /stacked rw,nosuid - tmpfs tmpfs rw",
            "not a mountinfo line",
            "");

    private static Optional<NativeDirectory.Mount> mount(String path) {
        return NativeDirectory.mountOf(MOUNTINFO, Path.of(path));
    }

    @Test
    void theLongestMountPointThatIsAPrefixDecides() {
        assertEquals("/tmp", mount("/tmp/x/y").orElseThrow().mountPoint());
        assertTrue(mount("/tmp/x/y").orElseThrow().noexec());
        assertTrue(mount("/tmp").orElseThrow().noexec());
        // A mount inside the noexec one, without noexec.
        assertEquals("/tmp/exec", mount("/tmp/exec/lib").orElseThrow().mountPoint());
        assertFalse(mount("/tmp/exec/lib").orElseThrow().noexec());
        // A prefix of the name is not a parent directory.
        assertEquals("/", mount("/tmpf/x").orElseThrow().mountPoint());
        assertFalse(mount("/tmpf/x").orElseThrow().noexec());
        assertTrue(mount("/tmpfoo/x").orElseThrow().noexec());
        assertFalse(mount("/home/u/.cache/ravine").orElseThrow().noexec());
    }

    @Test
    void escapedSpacesOptionalFieldsAndStackedMounts() {
        assertEquals("/mnt/with space", mount("/mnt/with space/a").orElseThrow().mountPoint());
        assertTrue(mount("/mnt/with space/a").orElseThrow().noexec());
        assertEquals("/", mount("/mnt/with").orElseThrow().mountPoint());
        // The later of two mounts at one point is the one on top.
        assertFalse(mount("/stacked/a").orElseThrow().noexec());
        assertEquals("a b\\c", NativeDirectory.unescape("a\\040b\\134c"));
        assertEquals(Optional.empty(), NativeDirectory.mountOf("", Path.of("/tmp")));
    }

    @Test
    void candidatesInOrderAndAnExplicitSettingAlone() {
        Map<String, String> env = Map.of("XDG_RUNTIME_DIR", "/run/user/1000");
        Map<String, String> props = Map.of("java.io.tmpdir", "/tmp");
        List<NativeDirectory.Candidate> c = NativeDirectory.candidates(env::get, props::get, Path.of("/home/u"),
                Optional.of(Path.of("/opt/ravine")));
        assertEquals(List.of("java.io.tmpdir", "XDG_RUNTIME_DIR", "~/.cache/ravine", "the jar's directory"),
                c.stream().map(NativeDirectory.Candidate::label).toList());
        assertEquals(List.of(Path.of("/tmp"), Path.of("/run/user/1000"), Path.of("/home/u/.cache/ravine"),
                Path.of("/opt/ravine")), c.stream().map(x -> x.base().orElseThrow()).toList());

        Map<String, String> envWith = Map.of(NativeDirectory.ENV, "/fast/natives");
        List<NativeDirectory.Candidate> explicit = NativeDirectory.candidates(envWith::get, props::get,
                Path.of("/home/u"), Optional.empty());
        assertEquals(1, explicit.size());
        assertEquals(Path.of("/fast/natives"), explicit.get(0).base().orElseThrow());
        assertTrue(explicit.get(0).explicit());
        // The system property wins over the variable.
        Map<String, String> propsWith = Map.of("java.io.tmpdir", "/tmp", NativeDirectory.PROPERTY, "/prop/natives");
        assertEquals(Path.of("/prop/natives"), NativeDirectory.candidates(envWith::get, propsWith::get,
                Path.of("/home/u"), Optional.empty()).get(0).base().orElseThrow());
    }

    /** mountinfo text that makes {@code noexecDir} (a real directory) a noexec mount point. */
    private static String noexecAt(Path noexecDir) throws IOException {
        return "22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
                + "40 22 0:40 / " + noexecDir.toRealPath().toString().replace(" ", "\\040")
                + " rw,nosuid,noexec - tmpfs tmpfs rw\n";
    }

    private static NativeDirectory.Candidate candidate(String label, Path base) {
        return new NativeDirectory.Candidate(label, Optional.of(base), false, false, "not set");
    }

    @Test
    void aNoexecCandidateIsSkippedAndAFreshOwnerOnlyDirectoryMadeInTheNext(@TempDir Path tmp) throws IOException {
        Path noexec = Files.createDirectories(tmp.resolve("noexec"));
        Path good = Files.createDirectories(tmp.resolve("good"));
        List<NativeDirectory.Candidate> c = List.of(candidate("java.io.tmpdir", noexec),
                new NativeDirectory.Candidate("XDG_RUNTIME_DIR", Optional.empty(), false, false, "not set"),
                candidate("~/.cache/ravine", good));
        Path dir = NativeDirectory.choose(c, noexecAt(noexec)).directory().orElseThrow();
        assertEquals(good.toRealPath(), dir.getParent().toRealPath());
        assertTrue(dir.getFileName().toString().startsWith(NativeDirectory.PREFIX));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        try (var s = Files.list(noexec)) {
            assertEquals(0, s.count(), "nothing may be created on the noexec mount");
        }
        // One per JVM, made fresh: a second choice never reuses the first directory.
        Path again = NativeDirectory.choose(c, noexecAt(noexec)).directory().orElseThrow();
        assertNotEquals(dir, again);
        NativeDirectory.deleteTree(dir);
        assertFalse(Files.exists(dir));
    }

    @Test
    void whenNothingWorksOneLineNamesWhatWasTriedAndTheSettingToUse(@TempDir Path tmp) throws IOException {
        Path noexec = Files.createDirectories(tmp.resolve("noexec"));
        Path aFile = Files.writeString(tmp.resolve("a-file"), "x");
        List<NativeDirectory.Candidate> c = List.of(candidate("java.io.tmpdir", noexec),
                new NativeDirectory.Candidate("XDG_RUNTIME_DIR", Optional.empty(), false, false, "not set"),
                new NativeDirectory.Candidate("~/.cache/ravine", Optional.of(aFile.resolve("cache")), false, true, ""),
                candidate("the jar's directory", tmp.resolve("missing")));
        NativeDirectory.Outcome o = NativeDirectory.choose(c, noexecAt(noexec));
        assertTrue(o.directory().isEmpty());
        String m = o.problem();
        assertFalse(m.contains("\n"), m);
        assertTrue(m.startsWith("no directory to extract native libraries into: tried java.io.tmpdir=" + noexec
                + " (on a noexec mount at " + noexec.toRealPath() + "), XDG_RUNTIME_DIR (not set), ~/.cache/ravine="
                + aFile.resolve("cache") + " (cannot be created: "), m);
        assertTrue(m.contains("the jar's directory=" + tmp.resolve("missing") + " (does not exist)"), m);
        assertTrue(m.endsWith("; set RAVINE_NATIVE_DIR to a writable directory on a file system mounted without"
                + " noexec"), m);
    }

    @Test
    void anExplicitSettingThatCannotBeUsedIsReportedNotPassedOver(@TempDir Path tmp) throws IOException {
        Path noexec = Files.createDirectories(tmp.resolve("noexec"));
        List<NativeDirectory.Candidate> c = List.of(
                new NativeDirectory.Candidate(NativeDirectory.ENV, Optional.of(noexec), true, true, ""),
                candidate("java.io.tmpdir", Files.createDirectories(tmp.resolve("fine"))));
        String m = NativeDirectory.choose(c, noexecAt(noexec)).problem();
        assertEquals("RAVINE_NATIVE_DIR=" + noexec + " cannot hold native libraries: on a noexec mount at "
                + noexec.toRealPath() + "; set RAVINE_NATIVE_DIR to a writable directory on a file system mounted"
                + " without noexec", m);
        // An explicit directory that does not exist yet is created.
        Path fresh = tmp.resolve("new/natives");
        Path dir = NativeDirectory.choose(List.of(new NativeDirectory.Candidate(NativeDirectory.ENV,
                Optional.of(fresh), true, true, "")), "").directory().orElseThrow();
        assertEquals(fresh, dir.getParent());
    }

    /** Initialised by the swap test; records java.io.tmpdir as its static initialiser (like JCuda's) sees it. */
    static final class SeesTmpdir {
        static final String TMPDIR = System.getProperty("java.io.tmpdir");
    }

    @Test
    void classesAreInitialisedWithTmpdirPointedAtThePrivateDirectoryAndItIsRestored() {
        Optional<Path> dir = NativeDirectory.get();
        assumeTrue(dir.isPresent(), "no private native directory here: " + NativeDirectory.problem().orElse(""));
        String before = System.getProperty("java.io.tmpdir");
        NativeDirectory.initialize(SeesTmpdir.class);
        assertEquals(dir.get().toString(), SeesTmpdir.TMPDIR);
        assertEquals(before, System.getProperty("java.io.tmpdir"));
        assertTrue(dir.get().toFile().isDirectory());
        // The JDK's cached-tmpdir holders exist under the names the swap pins (else it falls back to a probe file).
        assertTrue(NativeDirectory.pinTemporaryDirectoryHolders());
    }

    @Test
    void theLoadFailureLineIsJCudasResourceAttemptWithoutRepeatedPaths() {
        String jcuda = String.join("\n",
                "Error while loading native library \"JCudaDriver-12.6.0-linux-x86_64\"",
                "Operating system name: Linux",
                "---(start of nested stack traces)---",
                "Stack trace from the attempt to load the library as a file:",
                "java.lang.UnsatisfiedLinkError: no JCudaDriver-12.6.0-linux-x86_64 in java.library.path: /usr/lib",
                "\tat java.base/java.lang.ClassLoader.loadLibrary(ClassLoader.java:2458)",
                "Stack trace from the attempt to load the library as a resource:",
                "java.lang.UnsatisfiedLinkError: /d/libJCudaDriver-12.6.0-linux-x86_64.so: libcuda.so.1: cannot open"
                        + " shared object file: No such file or directory",
                "\tat java.base/jdk.internal.loader.NativeLibraries.load(Native Method)",
                "---(end of nested stack traces)---");
        assertEquals("libcuda.so.1: cannot open shared object file: No such file or directory",
                NativeDirectory.loadFailure(new UnsatisfiedLinkError(jcuda)));
        assertEquals("no NVIDIA driver: JCuda's driver library needs libcuda.so.1, which cannot be loaded"
                + " (libcuda.so.1: cannot open shared object file: No such file or directory)",
                NativeDirectory.driverLoadFailure(new UnsatisfiedLinkError(jcuda)));
        UnsatisfiedLinkError noexec = new UnsatisfiedLinkError(
                "/tmp/libX.so: /tmp/libX.so: failed to map segment from shared object");
        assertEquals("failed to map segment from shared object", NativeDirectory.loadFailure(noexec));
        // Should a noexec mount escape mountinfo (or be refused by a security module), the line says what to do.
        assertTrue(NativeDirectory.driverLoadFailure(noexec).endsWith("failed to map segment from shared object (a file"
                + " system mounted noexec? set RAVINE_NATIVE_DIR to a directory on one that allows exec)"));
    }
}
