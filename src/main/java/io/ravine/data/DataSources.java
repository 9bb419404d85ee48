package io.ravine.data;

import io.ravine.InvalidInputException;
import io.ravine.InvalidSettingException;
import io.ravine.backend.LossKind;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a data specification from the command line into a training and a test split, each {@link Dataset#validate()
 * validated}. Targets come back as loaders produce them (class indices or real values); the trainer then applies a
 * {@link Normalizer} fitted on the training split and {@link TargetEncoding#forLoss(TrainTest, LossKind)}.
 * <p>A specification is one of:
 * <ul>
 *   <li>{@code embedded}: 5000 training and 1000 test examples of Fashion-MNIST shipped in the jar;</li>
 *   <li>{@code fashion-mnist}: the full dataset from Debian's dataset-fashion-mnist package, in
 *       {@value #FASHION_MNIST_DEFAULT_DIR} unless {@value #FASHION_MNIST_ENV} names another directory;</li>
 *   <li>{@code synthetic}: examples of Fashion-MNIST's shape made from a fixed seed ({@link SyntheticData}), for
 *       speed measurements where the real data set is not installed;</li>
 *   <li>a directory holding the four MNIST-style IDX files, gzip-compressed or raw;</li>
 *   <li>a CSV file (see {@link CsvReader}); its test split is a second CSV file, or else its last 20% of rows.</li>
 * </ul>
 */
public final class DataSources {

    private static final Logger LOG = LoggerFactory.getLogger(DataSources.class);

    /** The Fashion-MNIST subset in the jar. */
    public static final String EMBEDDED = "embedded";
    /** The full Fashion-MNIST from Debian's package (or {@value #FASHION_MNIST_ENV}). */
    public static final String FASHION_MNIST = "fashion-mnist";
    /** Seeded data of Fashion-MNIST's shape ({@link SyntheticData}). */
    public static final String SYNTHETIC = "synthetic";
    /** Where Debian's dataset-fashion-mnist installs the IDX files. */
    public static final String FASHION_MNIST_DEFAULT_DIR = "/usr/share/datasets/fashion-mnist";
    /** The environment variable naming another Fashion-MNIST directory. */
    public static final String FASHION_MNIST_ENV = "RAVINE_FASHION_MNIST_DIR";
    /** Classes of MNIST and Fashion-MNIST. */
    public static final int MNIST_CLASSES = 10;
    /** Share of a CSV file's rows held out as its test split when no test file is given. */
    public static final double CSV_TEST_FRACTION = 0.2;

    private static final String EMBEDDED_RESOURCE_DIR = "/io/ravine/data/embedded/";
    private static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
    private static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
    private static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
    private static final String TEST_LABELS = "t10k-labels-idx1-ubyte";

    private DataSources() {
    }

    /**
     * Loads {@code trainSpec} (null means {@code embedded}); {@code testSpec} (nullable) names a test CSV file and is
     * only accepted with a CSV training file. {@code loss} decides whether a CSV's last column holds class labels
     * (the cross-entropy losses) or real targets (MSE).
     *
     * @param trainSpec the data specification
     * @param testSpec a test CSV file, or null
     * @param loss the loss (classes or real targets in a CSV)
     * @return the splits, validated
     */
    public static TrainTest load(String trainSpec, String testSpec, LossKind loss) {
        return load(trainSpec, testSpec, loss, fashionMnistDir());
    }

    /**
     * As {@link #load(String, String, LossKind)}, with the directory that {@code fashion-mnist} stands for.
     *
     * @param trainSpec the data specification
     * @param testSpec a test CSV file, or null
     * @param loss the loss
     * @param fashionMnistDir where Fashion-MNIST is
     * @return the splits, validated
     */
    public static TrainTest load(String trainSpec, String testSpec, LossKind loss, Path fashionMnistDir) {
        return load(trainSpec, testSpec, loss, fashionMnistDir, 0);
    }

    /**
     * As {@link #load(String, String, LossKind)}, keeping only the first {@code limit} training examples (a run's
     * {@code limit}), so that the log line names the examples used: "data: 5000 of 60000 training examples, …".
     *
     * @param trainSpec the data specification
     * @param testSpec a test CSV file, or null
     * @param loss the loss
     * @param limit training examples kept, 0 for all
     * @return the splits, validated, the training split cut to {@code limit}
     */
    public static TrainTest load(String trainSpec, String testSpec, LossKind loss, int limit) {
        return load(trainSpec, testSpec, loss, fashionMnistDir(), limit);
    }

    private static TrainTest load(String trainSpec, String testSpec, LossKind loss, Path fashionMnistDir, int limit) {
        String spec = trainSpec == null || trainSpec.isBlank() ? EMBEDDED : trainSpec.trim();
        boolean hasTest = testSpec != null && !testSpec.isBlank();
        TrainTest tt;
        if (spec.equals(EMBEDDED) || spec.equals(FASHION_MNIST) || spec.equals(SYNTHETIC)) {
            if (hasTest) {
                throw new InvalidInputException("a separate test file only goes with a CSV training file, not with '"
                        + spec + "', which has its own test split");
            }
            tt = switch (spec) {
                case EMBEDDED -> loadEmbedded();
                case SYNTHETIC -> SyntheticData.fashionMnistShaped();
                default -> loadFashionMnist(fashionMnistDir);
            };
        } else {
            Path path = Path.of(spec);
            if (Files.isDirectory(path)) {
                if (hasTest) {
                    throw new InvalidInputException("a separate test file only goes with a CSV training file, not"
                            + " with the IDX directory " + spec + ", which has its own test split");
                }
                tt = loadIdxDirectory(path);
            } else if (Files.isRegularFile(path)) {
                tt = loadCsv(path, hasTest ? Path.of(testSpec.trim()) : null, loss);
            } else if (Files.exists(path)) {
                throw new InvalidInputException(spec + ": not a regular file nor a directory (expected a CSV file or a"
                        + " directory of IDX files)");
            } else {
                throw InvalidSettingException.of(spec + ": no such file or directory (",
                        InvalidSettingException.setting("data"), " takes " + EMBEDDED + ", "
                        + FASHION_MNIST + ", " + SYNTHETIC + ", a directory of IDX files or a CSV file)");
            }
        }
        tt.train().validate();
        tt.test().validate();
        String classes = tt.train().numClasses() > 0 ? tt.train().numClasses() + " classes" : "real targets";
        if (limit > 0 && limit < tt.train().n()) {
            LOG.info("data: {} of {} training examples, {} test examples, {} features, {}", limit, tt.train().n(),
                    tt.test().n(), tt.train().featureDim(), classes);
            return new TrainTest(tt.train().limit(limit), tt.test());
        }
        LOG.info("data: {} training and {} test examples, {} features, {}", tt.train().n(), tt.test().n(),
                tt.train().featureDim(), classes);
        return tt;
    }

    /**
     * The directory {@code fashion-mnist} stands for: {@value #FASHION_MNIST_ENV} if set, else the Debian path.
     *
     * @return the directory
     */
    public static Path fashionMnistDir() {
        String env = System.getenv(FASHION_MNIST_ENV);
        return Path.of(env != null && !env.isBlank() ? env : FASHION_MNIST_DEFAULT_DIR);
    }

    /**
     * The Fashion-MNIST subset shipped in the jar.
     *
     * @return 5000 training and 1000 test examples
     */
    public static TrainTest loadEmbedded() {
        Dataset train = IdxReader.dataset(resource(TRAIN_IMAGES), resource(TRAIN_LABELS), MNIST_CLASSES,
                "embedded/train");
        Dataset test = IdxReader.dataset(resource(TEST_IMAGES), resource(TEST_LABELS), MNIST_CLASSES,
                "embedded/test");
        return new TrainTest(train.validate(), test.validate());
    }

    /**
     * The full Fashion-MNIST dataset in {@code dir}.
     *
     * @param dir the directory of its IDX files
     * @return the splits
     */
    public static TrainTest loadFashionMnist(Path dir) {
        List<String> missing = missingIdxFiles(dir);
        if (!missing.isEmpty()) {
            String detail = Files.isDirectory(dir) ? " (missing " + String.join(", ", missing) + ")" : "";
            throw InvalidSettingException.of("Fashion-MNIST not found in " + dir + detail
                    + ": install it with 'apt-get install dataset-fashion-mnist' or set ",
                    InvalidSettingException.setting("data"), " to a directory of its IDX files");
        }
        return loadIdx(dir, MNIST_CLASSES, "fashion-mnist");
    }

    /**
     * A directory of MNIST-style IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
     * t10k-labels-idx1-ubyte, each optionally ending in .gz). The number of classes is the largest training label + 1.
     *
     * @param dir the directory
     * @return the splits
     */
    public static TrainTest loadIdxDirectory(Path dir) {
        List<String> missing = missingIdxFiles(dir);
        if (!missing.isEmpty()) {
            throw new InvalidInputException(dir + ": not an IDX dataset directory: missing "
                    + String.join(", ", missing));
        }
        return loadIdx(dir, 0, dir.toString());
    }

    private static TrainTest loadIdx(Path dir, int numClasses, String name) {
        Dataset train = IdxReader.read(idxFile(dir, TRAIN_IMAGES), idxFile(dir, TRAIN_LABELS), numClasses,
                name + "/train");
        Dataset test = IdxReader.read(idxFile(dir, TEST_IMAGES), idxFile(dir, TEST_LABELS), train.numClasses(),
                name + "/test");
        if (test.featureDim() != train.featureDim()) {
            throw new InvalidInputException(idxFile(dir, TEST_IMAGES) + ": test images have " + test.featureDim()
                    + " pixels, the training images in " + idxFile(dir, TRAIN_IMAGES) + " " + train.featureDim());
        }
        return new TrainTest(train, test);
    }

    /**
     * A CSV training file and its test split: {@code testFile} if not null (labels checked against the training
     * file's classes), else the last {@value #CSV_TEST_FRACTION} of the training file's rows, unshuffled.
     *
     * @param trainFile the training CSV
     * @param testFile the test CSV, or null
     * @param loss the loss (classes or real targets)
     * @return the splits
     */
    public static TrainTest loadCsv(Path trainFile, Path testFile, LossKind loss) {
        CsvReader.Target target = loss.classification() ? CsvReader.Target.CLASS_INDEX : CsvReader.Target.REAL;
        Dataset all = CsvReader.read(trainFile, target, 0);
        if (testFile != null) {
            Dataset test = CsvReader.read(testFile, target, all.numClasses());
            if (test.featureDim() != all.featureDim()) {
                throw new InvalidInputException(testFile + ": " + test.featureDim() + " feature columns, but "
                        + trainFile + " has " + all.featureDim());
            }
            return new TrainTest(all, test);
        }
        int n = all.n();
        if (n < 2) {
            throw new InvalidInputException(trainFile + ": " + n + " data row; at least 2 are needed to hold out a"
                    + " test split (or pass a test file)");
        }
        // Floor, but never zero: a test split with no rows would make every evaluation meaningless.
        int nTest = Math.max(1, (int) Math.floor(n * CSV_TEST_FRACTION));
        int nTrain = n - nTest;
        LOG.info("{}: no test file given; holding out the last {} of {} rows (rows {}..{}, the last {}%, unshuffled)"
                + " as the test split", trainFile, nTest, n, nTrain + 1, n, Math.round(CSV_TEST_FRACTION * 100));
        Dataset train = rename(all.select(range(0, nTrain)), trainFile + " [rows 1.." + nTrain + "]");
        Dataset test = rename(all.select(range(nTrain, n)), trainFile + " [rows " + (nTrain + 1) + ".." + n + "]");
        return new TrainTest(train, test);
    }

    private static Dataset rename(Dataset d, String name) {
        return new Dataset(name, d.n(), d.featureDim(), d.features(), d.targetCols(), d.targets(), d.numClasses());
    }

    private static int[] range(int from, int to) {
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) {
            r[i] = from + i;
        }
        return r;
    }

    private static List<String> missingIdxFiles(Path dir) {
        List<String> missing = new ArrayList<>();
        for (String base : new String[] {TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS}) {
            if (idxFile(dir, base) == null) {
                missing.add(base + "[.gz]");
            }
        }
        return missing;
    }

    /** The file holding {@code base} in dir, compressed or not; null when there is none. */
    private static Path idxFile(Path dir, String base) {
        for (String name : new String[] {base + ".gz", base}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }

    private static IdxReader.IdxArray resource(String base) {
        String path = EMBEDDED_RESOURCE_DIR + base + ".gz";
        try (InputStream in = DataSources.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("embedded dataset missing from the jar: " + path);
            }
            return IdxReader.read(in, "classpath:" + path);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read embedded dataset " + path, e);
        }
    }
}
