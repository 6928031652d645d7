/* One-pass optimizer updates for mlplab.kernels (see its docstring for why).
 *
 * Each loop is the same equation as the NumPy reference in mlplab/optim.py, for float32
 * and float64 buffers, run without the GIL.  Plain C, compiled at install time; when it
 * cannot be built, mlplab falls back to NumPy.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>

/* SGD (PyTorch's form): g += wd p; v = g (first) or m v + (1 - d) g; g = g + m v (Nesterov) or v; p -= lr g */
#define SGD_LOOP(T)                                                                          \
    {                                                                                        \
        T *P = (T *)p.buf, *V = (T *)v.buf;                                                  \
        const T *G = (const T *)g.buf;                                                       \
        const T lr_ = (T)lr, wd_ = (T)wd, m_ = (T)momentum, d_ = (T)(1.0 - dampening);        \
        for (Py_ssize_t i = 0; i < n; i++) {                                                 \
            T gi = G[i] + wd_ * P[i];                                                        \
            if (momentum != 0.0) {                                                           \
                T vi = first ? gi : m_ * V[i] + d_ * gi;                                     \
                V[i] = vi;                                                                   \
                gi = nesterov ? gi + m_ * vi : vi;                                           \
            }                                                                                \
            P[i] -= lr_ * gi;                                                                \
        }                                                                                    \
    }

/* Adam (PyTorch's arrangement): p *= decay; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * p -= step_size m / (sqrt(v) / sqrt_bc2 + eps) */
#define ADAM_LOOP(T)                                                                         \
    {                                                                                        \
        T *P = (T *)p.buf, *M = (T *)m.buf, *V = (T *)v.buf;                                 \
        const T *G = (const T *)g.buf;                                                       \
        const T s_ = (T)step_size, b1 = (T)beta1, b2 = (T)beta2, e_ = (T)eps;                \
        const T c2 = (T)sqrt_bc2, wd_ = (T)wd, k_ = (T)decay;                                \
        for (Py_ssize_t i = 0; i < n; i++) {                                                 \
            T gi = G[i] + wd_ * P[i];                                                        \
            T pi = P[i] * k_;                                                                \
            T mi = b1 * M[i] + ((T)1 - b1) * gi;                                             \
            T vi = b2 * V[i] + ((T)1 - b2) * gi * gi;                                        \
            M[i] = mi;                                                                       \
            V[i] = vi;                                                                       \
            P[i] = pi - s_ * mi / ((T)sqrt((double)vi) / c2 + e_);                           \
        }                                                                                    \
    }

static int check_buffers(Py_buffer *first, Py_buffer **others, int count) {
    if (first->itemsize != 4 && first->itemsize != 8) {
        PyErr_SetString(PyExc_TypeError, "fused kernels need float32 or float64 arrays");
        return -1;
    }
    for (int k = 0; k < count; k++) {
        if (others[k]->len != first->len || others[k]->itemsize != first->itemsize) {
            PyErr_SetString(PyExc_ValueError, "fused kernels need arrays of one size and dtype");
            return -1;
        }
    }
    return 0;
}

static PyObject *fused_sgd(PyObject *self, PyObject *args) {
    Py_buffer p, g, v;
    double lr, wd, momentum, dampening;
    int nesterov, first;
    if (!PyArg_ParseTuple(args, "w*y*w*ddddpp", &p, &g, &v, &lr, &wd, &momentum, &dampening, &nesterov, &first))
        return NULL;
    Py_buffer *others[] = {&g, &v};
    PyObject *result = NULL;
    if (check_buffers(&p, others, 2) == 0) {
        Py_ssize_t n = p.len / p.itemsize;
        Py_BEGIN_ALLOW_THREADS
        if (p.itemsize == 4) SGD_LOOP(float) else SGD_LOOP(double)
        Py_END_ALLOW_THREADS
        result = Py_NewRef(Py_None);
    }
    PyBuffer_Release(&p);
    PyBuffer_Release(&g);
    PyBuffer_Release(&v);
    return result;
}

static PyObject *fused_adam(PyObject *self, PyObject *args) {
    Py_buffer p, g, m, v;
    double step_size, beta1, beta2, eps, sqrt_bc2, wd, decay;
    if (!PyArg_ParseTuple(args, "w*y*w*w*ddddddd", &p, &g, &m, &v, &step_size, &beta1, &beta2, &eps, &sqrt_bc2,
                          &wd, &decay))
        return NULL;
    Py_buffer *others[] = {&g, &m, &v};
    PyObject *result = NULL;
    if (check_buffers(&p, others, 3) == 0) {
        Py_ssize_t n = p.len / p.itemsize;
        Py_BEGIN_ALLOW_THREADS
        if (p.itemsize == 4) ADAM_LOOP(float) else ADAM_LOOP(double)
        Py_END_ALLOW_THREADS
        result = Py_NewRef(Py_None);
    }
    PyBuffer_Release(&p);
    PyBuffer_Release(&g);
    PyBuffer_Release(&m);
    PyBuffer_Release(&v);
    return result;
}

static PyMethodDef methods[] = {
    {"sgd", fused_sgd, METH_VARARGS, "sgd(p, g, v, lr, wd, momentum, dampening, nesterov, first): one SGD step"},
    {"adam", fused_adam, METH_VARARGS,
     "adam(p, g, m, v, step_size, beta1, beta2, eps, sqrt_bc2, wd, decay): one Adam step"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fused", "One-pass optimizer updates.", -1, methods};

PyMODINIT_FUNC PyInit__fused(void) { return PyModule_Create(&module); }
