# Example models, installed as documentation and used by the tests.
examplesdir = $(docdir)/examples
dist_examples_DATA = \
	examples/README.md \
	examples/attention.ein \
	examples/conv1d_silu.ein \
	examples/dft.ein \
	examples/hyena.ein \
	examples/mamba1_layer.ein \
	examples/mamba2_ssd.ein \
	examples/mamba_scan.ein \
	examples/matmul.ein \
	examples/rmsnorm.ein \
	examples/softmax.ein

mamba1dir = $(examplesdir)/mamba1
dist_mamba1_DATA = \
	examples/mamba1/README.md \
	examples/mamba1/prefill.ein \
	examples/mamba1/step.ein
