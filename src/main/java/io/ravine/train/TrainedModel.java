package io.ravine.train;

import io.ravine.InvalidInputException;
import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.backend.LossKind;
import io.ravine.backend.Tensor;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.data.Dataset;
import io.ravine.data.Normalizer;
import io.ravine.data.TargetEncoding;
import io.ravine.nn.Mlp;
import io.ravine.nn.Model;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * A trained model that predicts on raw inputs: the architecture ({@link Mlp}: widths, hidden activation, loss), θ,
 * and the input normalization it was trained with, which it applies itself. From {@link Trainer#trainedModel()} after
 * {@link Trainer#fit()}, or {@link #load(Path)} from any checkpoint a run wrote (or {@link #save} wrote).
 *
 * <pre>{@code
 * try (TrainedModel model = TrainedModel.load(Path.of("runs/r/checkpoints/final.safetensors"))) {
 *     float[][] probabilities = model.predict(rawRows);
 *     int[] classes = model.predictClasses(rawRows);
 *     ModelEvaluation e = model.evaluate(Dataset.fromCsv(Path.of("test.csv")));
 * }
 * }</pre>
 *
 * <p>Outputs: {@link #predict} gives the class probabilities for {@link LossKind#SOFTMAX_CE} (softmax of the
 * scores), the per-output probabilities σ(z) for {@link LossKind#LOGISTIC_CE} (one column, P(class 1), for a
 * two-class model with one output), and the raw outputs for {@link LossKind#MSE}; {@link #predictClasses} the
 * arg-max score (z &gt; 0 for one logistic output), as training's accuracy counts it.
 *
 * <p>The computation runs on a backend: by default a CPU backend this model opens on first use and closes in
 * {@link #close()}; {@link #load(Path, Backend)} uses the caller's (and leaves it open). θ stays on the host too, so
 * a model taken from a {@link Trainer} outlives it. The same θ, inputs and thread count give the same bits. Not safe
 * for use by several threads at once.
 */
public final class TrainedModel implements AutoCloseable {
    /** Rows per forward pass: one workspace of this capacity serves every call. */
    private static final int CHUNK = 512;

    private final Mlp mlp;
    private final float[] theta;
    private final io.ravine.nn.BatchNormBuffers batchNorm;
    private final Normalizer normalizer;
    private final int numClasses;
    private final Backend given;
    private Backend owned;
    private Model model;
    private boolean closed;

    private TrainedModel(Mlp mlp, float[] theta, io.ravine.nn.BatchNormBuffers batchNorm, Normalizer normalizer,
            int numClasses, Backend given) {
        this.mlp = Objects.requireNonNull(mlp, "mlp");
        this.theta = theta.clone();
        batchNorm.requireFits(mlp);
        this.batchNorm = batchNorm;
        this.normalizer = Objects.requireNonNull(normalizer, "normalizer");
        this.given = given;
        if (theta.length != mlp.parameterCount()) {
            throw new IllegalArgumentException("θ has " + theta.length + " values, the model " + mlp.describe()
                    + " has " + mlp.parameterCount());
        }
        if (normalizer.featureDim() != mlp.inputDim()) {
            throw new IllegalArgumentException("a normalizer of " + normalizer.featureDim() + " features for the"
                    + " model " + mlp.describe() + " (" + mlp.inputDim() + " inputs)");
        }
        this.numClasses = resolveClasses(mlp, numClasses);
    }

    /**
     * The number of classes: the outputs of a classifier (2 for one logistic output), what the file says for mean
     * squared error (one-hot classes, or 0 for real targets), 0 where it does not say.
     */
    private static int resolveClasses(Mlp mlp, int stated) {
        return switch (mlp.loss()) {
            case SOFTMAX_CE -> mlp.outputDim();
            case LOGISTIC_CE -> mlp.outputDim() == 1 ? 2 : mlp.outputDim();
            case MSE -> stated > 0 ? stated : 0;
        };
    }

    /**
     * A model from its parts, computing on a CPU backend it opens on first use.
     *
     * @param mlp the architecture
     * @param theta θ in the checkpoint's order: per layer the weight [out, in] row-major, then the bias (copied)
     * @param normalizer the input normalization the model was trained with ({@link Normalizer#none} for none)
     * @param numClasses the number of classes of the training labels, 0 for real targets (only read for
     *     {@link LossKind#MSE}; a classifier's come from its outputs)
     * @return the model
     * @throws IllegalArgumentException if θ's length or the normalizer's features do not fit the architecture
     */
    public static TrainedModel of(Mlp mlp, float[] theta, Normalizer normalizer, int numClasses) {
        return of(mlp, theta, io.ravine.nn.BatchNormBuffers.initial(mlp), normalizer, numClasses);
    }

    /**
     * A model from its parts with batch normalization's running statistics (which its predictions normalize with).
     *
     * @param mlp the architecture
     * @param theta θ in the checkpoint's order (copied)
     * @param batchNorm the BN buffers ({@link io.ravine.nn.BatchNormBuffers#initial} for a model without BN)
     * @param normalizer the input normalization the model was trained with
     * @param numClasses the number of classes of the training labels, 0 for real targets
     * @return the model
     */
    public static TrainedModel of(Mlp mlp, float[] theta, io.ravine.nn.BatchNormBuffers batchNorm,
            Normalizer normalizer, int numClasses) {
        return new TrainedModel(mlp, theta, batchNorm, normalizer, numClasses, null);
    }

    /**
     * The model in a checkpoint (any a run wrote, or {@link #save}'s), computing on the CPU: architecture, θ and
     * normalization all come from the file ({@link Checkpoint}).
     *
     * @param checkpoint a {@code .safetensors} checkpoint
     * @return the model
     * @throws InvalidInputException one line naming the file: unreadable, corrupt (checksum), not a model Ravine
     *     wrote, or written before checkpoints stored the input normalization (then it says how to supply it:
     *     {@link #load(Path, Normalizer)})
     */
    public static TrainedModel load(Path checkpoint) {
        return load(checkpoint, (Backend) null);
    }

    /**
     * As {@link #load(Path)}, computing on {@code backend} (which stays the caller's: {@link #close()} leaves it open).
     *
     * @param checkpoint a {@code .safetensors} checkpoint
     * @param backend where to compute; null for a CPU backend of the model's own
     * @return the model
     */
    public static TrainedModel load(Path checkpoint, Backend backend) {
        Checkpoint.Stored s = Checkpoint.readModel(checkpoint);
        if (s.normalizer() == null) {
            throw new InvalidInputException(checkpoint + ": holds no input normalization (written before checkpoints"
                    + " stored it), so its raw-input predictions would be wrong; load it with TrainedModel.load(path,"
                    + " normalizer), giving the training split's statistics: Normalizer.fit(Normalizer.Kind.ZSCORE,"
                    + " trainingData) for normalize zscore, Normalizer.none(" + s.mlp().inputDim() + ") for none");
        }
        return new TrainedModel(s.mlp(), s.theta(), s.batchNorm(), s.normalizer(), s.numClasses(), backend);
    }

    /**
     * The model in a checkpoint with the input normalization given: for checkpoints written before they stored it.
     * A checkpoint that stores one must store the same map ({@link Normalizer#sameMap}).
     *
     * @param checkpoint a {@code .safetensors} checkpoint
     * @param normalizer the normalization the model was trained with: {@code Normalizer.fit(kind, trainingData)}
     *     on the same training examples (after any limit), or {@link Normalizer#none}
     * @return the model, computing on the CPU
     * @throws InvalidInputException naming the file, as {@link #load(Path)}, or when the normalizer does not fit the
     *     model's inputs or contradicts the one stored
     */
    public static TrainedModel load(Path checkpoint, Normalizer normalizer) {
        return load(checkpoint, normalizer, null);
    }

    /**
     * As {@link #load(Path, Normalizer)}, computing on {@code backend}.
     *
     * @param checkpoint a {@code .safetensors} checkpoint
     * @param normalizer the normalization the model was trained with
     * @param backend where to compute; null for a CPU backend of the model's own
     * @return the model
     */
    public static TrainedModel load(Path checkpoint, Normalizer normalizer, Backend backend) {
        Objects.requireNonNull(normalizer, "normalizer");
        Checkpoint.Stored s = Checkpoint.readModel(checkpoint);
        if (normalizer.featureDim() != s.mlp().inputDim()) {
            throw new InvalidInputException(checkpoint + ": the normalizer given maps " + normalizer.featureDim()
                    + " features, the model " + s.mlp().describe() + " takes " + s.mlp().inputDim());
        }
        if (s.normalizer() != null && !s.normalizer().sameMap(normalizer)) {
            throw new InvalidInputException(checkpoint + ": stores its own input normalization ("
                    + s.normalizer().kind().cliName() + "), which differs from the one given (" + normalizer.kind()
                    .cliName() + "); load it with TrainedModel.load(path)");
        }
        return new TrainedModel(s.mlp(), s.theta(), s.batchNorm(), normalizer, s.numClasses(), backend);
    }

    /**
     * Writes this model as a checkpoint (atomically, with its CRC32C): the layers, the normalization and the
     * metadata of {@link Checkpoint}, without optimizer state, so it loads with {@link #load(Path)} (and into
     * PyTorch's safetensors) but does not resume a run.
     *
     * @param file the {@code .safetensors} file to write
     */
    public void save(Path file) {
        Checkpoint.saveModel(file, mlp, theta, batchNorm, normalizer, numClasses, Map.of());
    }

    /**
     * The architecture: widths, hidden activation and loss.
     *
     * @return the model's {@link Mlp}
     */
    public Mlp architecture() {
        return mlp;
    }

    /**
     * All layer widths, input first, output last.
     *
     * @return a copy of the widths
     */
    public int[] widths() {
        return mlp.widths();
    }

    /**
     * The activation of every hidden layer.
     *
     * @return the activation
     */
    public Activation hiddenActivation() {
        return mlp.hiddenActivation();
    }

    /**
     * The loss the model was trained with (it decides what {@link #predict} returns).
     *
     * @return the loss
     */
    public LossKind loss() {
        return mlp.loss();
    }

    /**
     * θ, in the checkpoint's order: for each layer k, the weight [out_k, in_k] row-major, then the bias [out_k].
     *
     * @return a copy of θ
     */
    public float[] parameters() {
        return theta.clone();
    }

    /**
     * The input normalization this model applies to raw inputs before its first layer.
     *
     * @return the normalizer (kind, mean, std)
     */
    public Normalizer normalizer() {
        return normalizer;
    }

    /**
     * The number of classes K of the labels it was trained on; 0 for real targets (a regression).
     *
     * @return K
     */
    public int numClasses() {
        return numClasses;
    }

    /**
     * Features per example the model takes (raw, before normalization).
     *
     * @return the input width
     */
    public int inputDim() {
        return mlp.inputDim();
    }

    /**
     * Values per example the model outputs.
     *
     * @return the output width
     */
    public int outputDim() {
        return mlp.outputDim();
    }

    /**
     * The model's outputs for raw inputs: probabilities for the cross-entropy losses, raw outputs for mean squared
     * error (see the class comment).
     *
     * @param rawX one row of raw features per example
     * @return one row of {@link #outputDim()} values per example
     * @throws InvalidInputException naming {@code x} and the row: ragged, NaN or infinite, or a width other than
     *     {@link #inputDim()}
     */
    public float[][] predict(float[][] rawX) {
        return predict(Dataset.ofFeatures(rawX));
    }

    /**
     * As {@link #predict(float[][])}, for the features of a dataset (its targets are not read).
     *
     * @param raw examples with raw features
     * @return one row of {@link #outputDim()} values per example
     */
    public float[][] predict(Dataset raw) {
        int k = mlp.outputDim();
        float[] scores = scores(raw);
        float[][] out = new float[raw.n()][k];
        for (int i = 0; i < raw.n(); i++) {
            int row = i * k;
            switch (mlp.loss()) {
                case SOFTMAX_CE -> {
                    // In double, from the largest score down, as a stable softmax is computed.
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < k; j++) {
                        max = Math.max(max, scores[row + j]);
                    }
                    double sum = 0;
                    double[] e = new double[k];
                    for (int j = 0; j < k; j++) {
                        e[j] = Math.exp(scores[row + j] - max);
                        sum += e[j];
                    }
                    for (int j = 0; j < k; j++) {
                        out[i][j] = (float) (e[j] / sum);
                    }
                }
                case LOGISTIC_CE -> {
                    for (int j = 0; j < k; j++) {
                        out[i][j] = (float) Activation.LOGISTIC.apply(scores[row + j]);
                    }
                }
                case MSE -> System.arraycopy(scores, row, out[i], 0, k);
            }
        }
        return out;
    }

    /**
     * The predicted class of each example: the arg-max score (the lowest index on ties), or z &gt; 0 for a two-class
     * model with one logistic output.
     *
     * @param rawX one row of raw features per example
     * @return one class per example, 0..{@link #numClasses()}−1
     * @throws IllegalStateException for a model of real targets (mean squared error on real values)
     */
    public int[] predictClasses(float[][] rawX) {
        return predictClasses(Dataset.ofFeatures(rawX));
    }

    /**
     * As {@link #predictClasses(float[][])}, for the features of a dataset.
     *
     * @param raw examples with raw features
     * @return one class per example
     */
    public int[] predictClasses(Dataset raw) {
        if (numClasses == 0) {
            throw new IllegalStateException("the model " + mlp.describe() + " was trained on real targets: it"
                    + " predicts values (predict), not classes");
        }
        int k = mlp.outputDim();
        float[] scores = scores(raw);
        int[] out = new int[raw.n()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Evaluator.predicted(scores, i, k);
        }
        return out;
    }

    /**
     * The mean loss, accuracy and confusion matrix on a dataset of raw features and raw targets (class labels, or
     * real targets for a regression), as training evaluates its test split.
     *
     * @param raw examples with raw features and their labels or targets
     * @return the evaluation
     * @throws InvalidInputException if the features or targets do not fit the model (width, a label ≥
     *     {@link #numClasses()}, class labels for a regression or the other way round)
     */
    public ModelEvaluation evaluate(Dataset raw) {
        requireInputs(raw);
        Dataset normalized = normalizer.apply(raw);
        Dataset encoded;
        if (numClasses > 0) {
            if (raw.numClasses() == 0) {
                throw new InvalidInputException("dataset '" + raw.name() + "' has real targets, the model "
                        + mlp.describe() + " predicts " + numClasses + " classes");
            }
            encoded = TargetEncoding.forLoss(normalized, mlp.loss(), numClasses);
        } else {
            if (raw.numClasses() > 0 || raw.targetCols() != mlp.outputDim()) {
                throw new InvalidInputException("dataset '" + raw.name() + "' has " + (raw.numClasses() > 0
                        ? "class labels" : raw.targetCols() + " target columns") + ", the model " + mlp.describe()
                        + " predicts " + mlp.outputDim() + " real values");
            }
            encoded = normalized;
        }
        int[][] confusion = numClasses > 0 ? new int[numClasses][numClasses] : null;
        Evaluation e = Evaluator.evaluate(model(), encoded, CHUNK, confusion);
        return new ModelEvaluation(raw.n(), e.loss(), e.accuracy(), confusion);
    }

    /** The output scores [n, K] of the raw features of {@code raw}, normalized here, on the backend in chunks. */
    private float[] scores(Dataset raw) {
        requireInputs(raw);
        float[] x = normalizer.apply(raw.features());
        Model m = model();
        Backend backend = m.backend();
        Model.Workspace ws = m.workspace(CHUNK);
        int in = mlp.inputDim();
        int k = mlp.outputDim();
        float[] out = new float[raw.n() * k];
        for (int start = 0; start < raw.n(); start += CHUNK) {
            int rows = Math.min(CHUNK, raw.n() - start);
            backend.copyFromHost(x, start * in, ws.input().firstRows(rows));
            Tensor scores = m.forward(ws, rows);
            backend.copyToHost(scores, out, start * k);
        }
        return out;
    }

    private void requireInputs(Dataset raw) {
        if (raw.featureDim() != mlp.inputDim()) {
            throw new InvalidInputException("dataset '" + raw.name() + "' has " + raw.featureDim() + " features per"
                    + " example, the model " + mlp.describe() + " takes " + mlp.inputDim());
        }
    }

    /** The model on its backend, made on first use. */
    private Model model() {
        if (closed) {
            throw new IllegalStateException("this TrainedModel is closed");
        }
        if (model == null) {
            Backend backend = given;
            if (backend == null) {
                owned = CpuBackend.f32();
                backend = owned;
            }
            model = new Model(backend, mlp);
            model.setParameters(theta);
            model.setBatchNormBuffers(batchNorm);
        }
        return model;
    }

    /** Frees the model's buffers on its backend, and closes the backend if the model opened it. */
    @Override
    public void close() {
        closed = true;
        if (model != null) {
            model.close();
            model = null;
        }
        if (owned != null) {
            owned.close();
            owned = null;
        }
    }

    @Override
    public String toString() {
        return "TrainedModel[" + mlp.describe() + ", normalization " + normalizer.kind().cliName()
                + (numClasses > 0 ? ", " + numClasses + " classes" : ", real targets") + "]";
    }
}
