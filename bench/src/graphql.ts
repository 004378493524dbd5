/** A minimal GraphQL-over-HTTP client for seeding and checks (the load itself comes from the load processes). */
export async function graphql<T>(url: string, query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: { data?: T; errors?: { message: string }[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(`${url} answered ${response.status} with no JSON: ${text.slice(0, 300)}`);
  }
  if (body.errors?.length || body.data == null) {
    throw new Error(`${url} answered ${response.status}: ${body.errors?.map((e) => e.message).join('; ') ?? 'no data'}`);
  }
  return body.data;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
