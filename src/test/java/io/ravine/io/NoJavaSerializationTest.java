package io.ravine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Ravine reads nothing a user gives it with Java serialization (a serialized stream can run code as it is read):
 * checkpoints are safetensors, configs and summaries JSON, metrics CSV. This test looks at every compiled main
 * class and fails on
 * <ul>
 *   <li>a reference to {@code java/io/ObjectInputStream}, {@code java/io/ObjectOutputStream} or
 *       {@code java/lang/invoke/SerializedLambda} (a serializable lambda): a plain search of the class file's bytes
 *       for these internal names, which the constant pool holds (UTF-8) for every class a class uses;</li>
 *   <li>a class that is {@link Serializable}, directly or through a superclass, asked of the loaded class (not
 *       initialised). Exceptions (Throwable is Serializable) and enums (Enum is) are left out: both are
 *       serializable by the JDK's choice, and Ravine never writes them to a file.</li>
 * </ul>
 * Why not search the bytes for {@code java/io/Serializable} too: javac writes that name into stack-map frames as the
 * common type of {@code cond ? "text" : 42} (io.ravine.optim.Schedules has one), which is not serialization.
 */
class NoJavaSerializationTest {
    private static final List<String> FORBIDDEN_REFERENCES = List.of("java/io/ObjectInputStream",
            "java/io/ObjectOutputStream", "java/lang/invoke/SerializedLambda");

    /** The directory holding {@code c}'s class file (target/classes or target/test-classes). */
    private static Path classesOf(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    @Test
    void noMainClassUsesJavaSerialization() throws Exception {
        Path classes = classesOf(io.ravine.cli.Main.class);
        List<String> problems = new ArrayList<>();
        int scanned = scan(classes, "io/ravine/", problems);
        assertTrue(scanned > 100, "only " + scanned + " classes under " + classes);
        assertEquals(List.of(), problems, "Java serialization in " + classes);
    }

    /** A serializable class and an ObjectInputStream here, compiled into test-classes: the scan must see both. */
    static final class SerializableFixture implements Serializable {
        private static final long serialVersionUID = 1L;

        Object read(byte[] bytes) throws IOException, ClassNotFoundException {
            try (ObjectInputStream in = new ObjectInputStream(new java.io.ByteArrayInputStream(bytes))) {
                return in.readObject();
            }
        }
    }

    static final class ListSubclassFixture extends ArrayList<String> {
        private static final long serialVersionUID = 1L;
    }

    @Test
    void theScanSeesASerializableClassAndAnObjectInputStream() throws Exception {
        Path classes = classesOf(SerializableFixture.class);
        List<String> problems = new ArrayList<>();
        scan(classes, "io/ravine/io/NoJavaSerializationTest$", problems);
        String fixture = "io.ravine.io.NoJavaSerializationTest$SerializableFixture";
        assertTrue(problems.contains(fixture + " is Serializable"), problems.toString());
        assertTrue(problems.contains(fixture + " references java/io/ObjectInputStream"), problems.toString());
        assertTrue(problems.contains("io.ravine.io.NoJavaSerializationTest$ListSubclassFixture is Serializable"),
                problems.toString());
        assertEquals(3, problems.size(), problems.toString());
    }

    /** Adds a line per problem in the class files under {@code classes} whose names start with {@code prefix}. */
    private static int scan(Path classes, String prefix, List<String> problems) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(classes)) {
            files = walk.filter(p -> p.toString().endsWith(".class")).sorted().toList();
        }
        int scanned = 0;
        for (Path file : files) {
            String internal = classes.relativize(file).toString().replace('\\', '/').replaceFirst("\\.class$", "");
            if (!internal.startsWith(prefix) || internal.endsWith("package-info")) {
                continue;
            }
            scanned++;
            String name = internal.replace('/', '.');
            // ISO-8859-1 maps each byte to one char, so an ASCII name is found wherever its bytes are.
            String bytes = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
            for (String ref : FORBIDDEN_REFERENCES) {
                if (bytes.contains(ref)) {
                    problems.add(name + " references " + ref);
                }
            }
            Class<?> c;
            try {
                c = Class.forName(name, false, NoJavaSerializationTest.class.getClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                problems.add(name + " cannot be loaded to check it: " + e);
                continue;
            }
            if (Serializable.class.isAssignableFrom(c) && !Throwable.class.isAssignableFrom(c)
                    && !Enum.class.isAssignableFrom(c)) {
                problems.add(name + " is Serializable");
            }
        }
        return scanned;
    }
}
