package io.ravine.backend.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventQuery;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemHostAlloc;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;

/** {@link StagingRing.Stream} on the driver API: pinned memory, events and async copies on one stream. */
final class DriverStream implements StagingRing.Stream<Pointer, CUevent, CUdeviceptr> {
    private final CUstream stream;

    DriverStream(CUstream stream) {
        this.stream = stream;
    }

    @Override
    public Pointer allocateHost(long bytes) {
        Pointer p = new Pointer();
        cuMemHostAlloc(p, bytes, 0);
        return p;
    }

    @Override
    public ByteBuffer hostBuffer(Pointer host, long bytes) {
        return host.getByteBuffer(0, bytes).order(ByteOrder.nativeOrder());
    }

    @Override
    public void freeHost(Pointer host) {
        cuMemFreeHost(host);
    }

    @Override
    public CUevent createEvent() {
        CUevent e = new CUevent();
        cuEventCreate(e, CUevent_flags.CU_EVENT_DISABLE_TIMING);
        return e;
    }

    @Override
    public void destroyEvent(CUevent event) {
        cuEventDestroy(event);
    }

    @Override
    public void record(CUevent event) {
        cuEventRecord(event, stream);
    }

    @Override
    public boolean completed(CUevent event) {
        try {
            cuEventQuery(event);
            return true;
        } catch (CudaException e) {
            // With JCuda's exceptions enabled, "not yet" arrives as an exception; anything else is a real error.
            if (String.valueOf(e.getMessage()).contains("CUDA_ERROR_NOT_READY")) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public void synchronize(CUevent event) {
        cuEventSynchronize(event);
    }

    @Override
    public void copyToDevice(CUdeviceptr dst, long dstOffset, Pointer src, long bytes) {
        cuMemcpyHtoDAsync(dstOffset == 0 ? dst : dst.withByteOffset(dstOffset), src, bytes, stream);
    }
}
