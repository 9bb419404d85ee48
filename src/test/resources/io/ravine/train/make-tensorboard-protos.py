# Writes tensorboard-protos.pb: the FileDescriptorSet of TensorBoard's own event.proto and everything it imports
# (summary.proto, histogram.proto, tensor.proto, ...), taken from an installed TensorBoard, so that the tests decode
# Ravine's event files with TensorBoard's schema and Google's protobuf parser, not with Ravine's idea of them.
# Made with TensorBoard 2.21.0 and protobuf 7.36.2 (python3 -m venv; pip install tensorboard==2.21.0):
#   python make-tensorboard-protos.py > tensorboard-protos.pb
import sys
from google.protobuf import descriptor_pb2
from tensorboard.compat.proto import event_pb2

files = descriptor_pb2.FileDescriptorSet()
seen = set()


def add(fd):
    if fd.name in seen:
        return
    seen.add(fd.name)
    for dep in fd.dependencies:
        add(dep)
    fd.CopyToProto(files.file.add())


add(event_pb2.DESCRIPTOR)
sys.stdout.buffer.write(files.SerializeToString())
