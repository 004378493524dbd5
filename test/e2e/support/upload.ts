import { print } from 'graphql';
import { UploadFileDocument, type UploadFileMutation } from '../generated/graphql';

export interface UploadResponse {
  status: number;
  body: { data?: UploadFileMutation | null; errors?: { message: string; extensions?: { code?: string } }[] };
}

/**
 * `uploadFile` as a GraphQL multipart request (the spec's `operations`, `map`, then the file part), the same shape
 * as the curl command in docs/api-examples.md. `Apollo-Require-Preflight` gets it past the gateway's CSRF check.
 */
export async function uploadFile(
  graphqlUrl: string,
  token: string,
  file: { bytes: Uint8Array; filename: string; contentType: string },
  headers: Record<string, string> = { 'apollo-require-preflight': 'true' },
): Promise<UploadResponse> {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: print(UploadFileDocument), variables: { file: null } }));
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  form.append('0', new Blob([file.bytes], { type: file.contentType }), file.filename);
  const response = await fetch(graphqlUrl, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...headers }, body: form });
  return { status: response.status, body: (await response.json()) as UploadResponse['body'] };
}
